// Suite `CopyNodeInit`: not yet implemented.
