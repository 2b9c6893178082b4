# (filled in by the sanitizers work)
