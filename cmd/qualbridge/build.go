package main

import (
	"context"
	"errors"
)

// TODO(build): being implemented.
func runBuild(ctx context.Context, c *cli, args []string) error {
	return errors.New("build: not implemented yet")
}
