"""`python -m nianbao` runs the command line."""

from nianbao.entry import main

main()
