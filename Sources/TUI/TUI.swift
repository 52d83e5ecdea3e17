// TUI: the interactive application (the TUI issue).
