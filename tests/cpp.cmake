# (filled in by the cpp work)
