// Suite `TNNRegression`: not yet implemented.
