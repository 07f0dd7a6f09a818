package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildVersion is the version set at build time (make build sets it from
// git describe) or, for a plain go build, the commit the build info
// records, so a report still tells builds apart: "dev+0123456789ab",
// with "-dirty" for uncommitted changes; "dev" when nothing is known.
func buildVersion() string {
	info, _ := debug.ReadBuildInfo()
	return versionFrom(version, info)
}

// versionFrom is buildVersion's choice, from the version set at link time
// and the build info (nil when the binary has none).
func versionFrom(version string, info *debug.BuildInfo) string {
	if version != "dev" || info == nil {
		return version
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return version
	}
	return version + "+" + rev + dirty
}

func newVersionCmd(st *state) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the firedrill version",
		Example: "  firedrill version",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(st.stdout, "firedrill %s (%s, %s/%s)\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
