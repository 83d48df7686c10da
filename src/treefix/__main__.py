from treefix.cli.app import main

main()
