print("tnbench: under construction")
