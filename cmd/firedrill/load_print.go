package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/firedrill/firedrill/load"
)

// progressPrinter shows a run's progress: one line rewritten in place on a
// terminal, a plain line every few seconds otherwise (CI logs).
type progressPrinter struct {
	w       io.Writer
	tty     bool
	every   time.Duration
	next    time.Duration
	printed bool
}

func newProgressPrinter(w io.Writer, every time.Duration) *progressPrinter {
	p := &progressPrinter{w: w, every: every}
	if f, ok := w.(*os.File); ok {
		p.tty = isatty.IsTerminal(f.Fd())
	}
	if p.every <= 0 {
		p.every = 5 * time.Second
	}
	return p
}

func (p *progressPrinter) update(pr load.Progress) {
	line := fmt.Sprintf("%s/%s  rate %.1f/s  p99 %s  requests %d  errors %d",
		pr.Elapsed.Round(time.Second), pr.Total, pr.Rate, pr.P99.Round(10*time.Microsecond), pr.Requests, pr.Errors)
	if pr.Lag > 100*time.Millisecond {
		line += "  behind " + pr.Lag.Round(time.Millisecond).String()
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		p.printed = true
		return
	}
	if pr.Elapsed >= p.next {
		fmt.Fprintln(p.w, line)
		p.next = pr.Elapsed.Truncate(p.every) + p.every
	}
}

func (p *progressPrinter) end() {
	if p.tty && p.printed {
		fmt.Fprintln(p.w)
	}
}

// printLoadSummary writes the table of steps and flow, the generator's
// health and the verdict of each threshold.
func printLoadSummary(w io.Writer, rep *load.Report, verdicts []load.Verdict) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\trequests\trate/s\tsuccess\tp50\tp90\tp95\tp99\tmax")
	row := func(name string, s load.Stats) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f%%\t%s\t%s\t%s\t%s\t%s\n", name, s.Requests, s.Rate, s.Success*100,
			ms(s.P50), ms(s.P90), ms(s.P95), ms(s.P99), ms(s.Max))
	}
	for _, s := range rep.Steps {
		row("step "+s.Name, s)
	}
	if len(rep.Steps) > 1 {
		// What the unprefixed and the "iteration" thresholds read.
		row("all requests", rep.Requests)
		row("iterations", rep.Flow)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range rep.Steps {
		fmt.Fprintf(w, "status codes of %s: %s\n", s.Name, codes(s))
		for _, e := range s.ErrorTexts {
			fmt.Fprintf(w, "  error: %s\n", e)
		}
	}
	fmt.Fprintf(w, "schedule: %d of %d iterations sent (target %.1f/s)", rep.Sent, rep.Scheduled, rep.Target)
	if rep.Lag > 100*time.Millisecond {
		fmt.Fprintf(w, "; the generator fell behind by %s", rep.Lag.Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	if rep.Aborted != "" {
		fmt.Fprintf(w, "stopped early: %s\n", rep.Aborted)
	}
	for _, v := range verdicts {
		mark := "ok  "
		if !v.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s %s\n", mark, v.Message)
	}
	return nil
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}

func codes(s load.Stats) string {
	out := ""
	for code := 0; code < 600; code++ {
		if n, ok := s.StatusCodes[code]; ok {
			if out != "" {
				out += " "
			}
			out += fmt.Sprintf("%d×%d", code, n)
		}
	}
	return out
}
