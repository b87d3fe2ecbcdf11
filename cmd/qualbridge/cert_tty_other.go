//go:build !linux

package main

import "errors"

// readPassphrase has no terminal support outside Linux yet.
func readPassphrase(prompt string) (string, error) {
	return "", errors.New("no terminal prompt on this system")
}
