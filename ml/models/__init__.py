"""The models behind the one Ranker interface: GraphSAGE (and its CSR graph, its scorer) and the baselines."""
