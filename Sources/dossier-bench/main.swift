print("dossier-bench: nothing yet")
