package main

import (
	"context"
	"errors"
)

// TODO(revoke): being implemented.
func runRevoke(ctx context.Context, c *cli, args []string) error {
	return errors.New("revoke: not implemented yet")
}
