// Suite `StoudenmireMPS`: not yet implemented.
