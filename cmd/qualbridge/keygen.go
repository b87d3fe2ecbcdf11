package main

import (
	"context"
	"errors"
)

// TODO(keygen): being implemented.
func runKeygen(ctx context.Context, c *cli, args []string) error {
	return errors.New("keygen: not implemented yet")
}
