from bench.reporting.run import main

main()
