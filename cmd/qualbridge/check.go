package main

import (
	"context"
	"errors"
)

// TODO(check): being implemented.
func runCheck(ctx context.Context, c *cli, args []string) error {
	return errors.New("check: not implemented yet")
}
