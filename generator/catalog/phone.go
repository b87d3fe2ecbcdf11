package catalog

import "strings"

// International is an office line as dialled from Taiwan or abroad:
// 0595-22135540 becomes +86-595-22135540 (the trunk 0 dropped, the
// mainland's country code 86 in front). A number without area code, such
// as the hotline 12333, is returned as written: it dials only inside the
// mainland.
func International(number string) string {
	area, rest, ok := strings.Cut(number, "-")
	if !ok || len(area) < 3 || area[0] != '0' {
		return number
	}
	return "+86-" + area[1:] + "-" + rest
}
