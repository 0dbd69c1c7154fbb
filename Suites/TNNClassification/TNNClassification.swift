// Suite `TNNClassification`: not yet implemented.
