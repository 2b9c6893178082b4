# cmake -DLINK=<path> -DTARGET=<name> -P soname_link.cmake: makes LINK a symbolic link to
# TARGET unless it already is one. `cmake -E create_symlink` removes the link before
# making it again, which on every build left a moment in which a program starting
# against the build tree (a test running while a parent project builds, say) finds no
# libworkflow_state.so.0.
set(current "")
if(IS_SYMLINK "${LINK}")
  file(READ_SYMLINK "${LINK}" current)
endif()
if(NOT current STREQUAL TARGET)
  file(CREATE_LINK "${TARGET}" "${LINK}" SYMBOLIC)
endif()
