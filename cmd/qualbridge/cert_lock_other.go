//go:build !unix

package main

// lockRegistry does nothing where flock is missing; run one issuer at a time.
func lockRegistry(dir string) (unlock func(), err error) { return func() {}, nil }
