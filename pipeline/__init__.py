"""Podbrief pipeline: feeds to transcripts to insights to the daily brief."""
