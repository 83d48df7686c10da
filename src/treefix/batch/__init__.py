"""`treefix batch`: one repair per manifest entry, locally or as Ray tasks, with a summary."""
