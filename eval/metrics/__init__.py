"""Metrics: ROUGE (:mod:`.rouge`) with bootstrap intervals and signatures."""
