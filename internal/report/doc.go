// Package report turns the counts of store.Report into what a shop owner reads: conversion rates
// of the emailed and of the holdout, the absolute lift with a 95% interval (Newcombe's hybrid
// score interval for a difference of two proportions, built from two Wilson intervals),
// incremental revenue and revenue per email, and a plain verdict when a group is too small to
// conclude. It also renders the self-contained HTML report, its charts drawn by gonum/plot as
// inline SVG. It does no I/O of its own: callers pass the counts and a writer.
package report
