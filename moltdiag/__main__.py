from moltdiag.cli import main

main()
