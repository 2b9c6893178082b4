# (filled in by the go work)
