package main

import (
	"context"
	"errors"
)

// TODO(issue): being implemented.
func runIssue(ctx context.Context, c *cli, args []string) error {
	return errors.New("issue: not implemented yet")
}
