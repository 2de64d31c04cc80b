print("dossierd")
