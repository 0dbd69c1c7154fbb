// Suite `RankRegularization`: not yet implemented.
