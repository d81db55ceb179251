"""The app's screens: the main layout and its dialogs."""
