# The GTK 3 notes editor (examples/gtk/notes.c), driven in two real windows on one
# database under Xvfb with xdotool (tests/gtk/test_notes.sh), its assertions on the
# database (tests/gtk/notes_db.c, the library from a process of its own) and on the
# window titles. Registered only where GTK 3 was found (the top-level CMakeLists.txt
# then builds `notes`); natively, not under valgrind, whose GTK noise would drown the
# library's (the library's calls are covered under valgrind by the C tests). Each run
# has a display number and a database of its own, so it runs beside the rest (-j2).
if(NOT TARGET notes)
  return()
endif()

option(WS_GTK_TESTS "Drive examples/gtk/notes under Xvfb (needs xvfb, xdotool, imagemagick)" ON)
if(NOT WS_GTK_TESTS)
  return()
endif()

foreach(tool Xvfb xdotool import)
  string(TOUPPER "${tool}" ws_tool_var)
  find_program(WS_${ws_tool_var} ${tool})
  if(NOT WS_${ws_tool_var})
    message(FATAL_ERROR "${tool} not found: the GTK notes test needs it (apt-get install xvfb "
                        "xdotool imagemagick), or configure with -DWS_GTK_TESTS=OFF")
  endif()
endforeach()

ws_c_program(notes_db "${CMAKE_CURRENT_SOURCE_DIR}/gtk/notes_db.c")
add_test(NAME gtk/notes
         COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/gtk/test_notes.sh" $<TARGET_FILE:notes>
                 $<TARGET_FILE:notes_db> "${CMAKE_CURRENT_BINARY_DIR}/gtk")
set_tests_properties(gtk/notes PROPERTIES LABELS gtk TIMEOUT 120)
