package main

import (
	"context"
	"errors"
)

// TODO(serve): being implemented.
func runServe(ctx context.Context, c *cli, args []string) error {
	return errors.New("serve: not implemented yet")
}
