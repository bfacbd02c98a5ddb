"""Adapters that let TRL, verl and OpenRLHF use the Referee service with one line of configuration."""
