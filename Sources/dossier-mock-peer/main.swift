print("dossier-mock-peer: not yet")
