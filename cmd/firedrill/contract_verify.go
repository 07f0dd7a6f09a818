package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks"
)

type verifyFlags struct {
	baseURL     string
	allowWrites bool
	rate        string
	operations  []string
	timeout     time.Duration
	retries     int
	seed        int64
	auth        []string
	junit       string
	json        string
}

func newContractVerifyCmd(st *state) *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify CONTRACT --base-url URL",
		Short: "Call a live API with requests built from its contract and report where its answers drift",
		Long: `verify checks that a provider keeps its OpenAPI contract (2.0, 3.0 or 3.1).
It SENDS REAL REQUESTS to --base-url, which may be any address (staging, a
vendor's sandbox, production): it is not limited to loopback as the mocks and
the load are. For each operation it builds a valid request from the contract
(path and required parameters, a body for writes, generated from the schemas
with --seed), sends it, and judges the answer:

  status        the operation declares it (or a default answer)
  server-error  any 5xx is drift, even a declared one
  content-type  the status declares the answer's content type
  header        the status's required headers are there and fit their schema
  body          the body fits the declared schema (the drift names the JSON
                pointer into the answer, /items/0/total)

Only GET, HEAD and OPTIONS are sent unless --allow-writes; the writes are
listed as skipped. Requests go one at a time at --rate, retries included; a
429 or 503 with Retry-After is retried after the wait it asks for (at most
--retries times), and the wait counts against the operation's --timeout.

Base URL: when --base-url has no path, the path of the contract's first
server is appended (servers: https://api.example.com/v2 and --base-url
https://staging.example.com call https://staging.example.com/v2/...); a URL
with a path is used as given.

Credentials come from the environment, for the operation's first security
requirement: --auth SCHEME=VAR names the variable holding the credential of
the contract's security scheme SCHEME ("user:password" for HTTP basic);
a scheme not named reads
  FIREDRILL_API_KEY                 apiKey schemes (header, query or cookie)
  FIREDRILL_BEARER_TOKEN            HTTP bearer, OAuth2, OpenID Connect
  FIREDRILL_BASIC_USER, FIREDRILL_BASIC_PASSWORD   HTTP basic
Credentials are never printed: requests are shown with them masked (***).

Output: one line per operation (pass, drift, skipped, error) with the request
and the status, each drift under it; --json and --junit write the same as JSON
and as JUnit XML (one test case per operation, drifts as failures, writes not
sent as skipped).

Exit status: 0 when every operation sent keeps the contract, 1 when one
drifts or could not be judged (throttled past --retries, no answer), 2 when
the contract cannot be read or the command line is wrong, 3 when the API
answered no request at all.`,
		Example: `  FIREDRILL_BEARER_TOKEN=$TOKEN firedrill contract verify contracts/accounting.openapi.yaml --base-url https://sandbox.accounting.example.com
  firedrill contract verify shop.yaml --base-url https://staging.shop.example.com --auth shopKey=SHOP_KEY --junit verify.xml
  firedrill contract verify shop.yaml --base-url http://127.0.0.1:8080 --allow-writes --operation createOrder --rate 10/s`,
		Args: usageArgs(func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("contract verify: want one contract; got %d", len(args))
			}
			return nil
		}),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runContractVerify(cmd, st, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.baseURL, "base-url", "", "the API to call (required); the contract's base path is appended when the URL has no path")
	fl.BoolVar(&f.allowWrites, "allow-writes", false, "send POST, PUT, PATCH and DELETE too (default: GET, HEAD and OPTIONS only)")
	fl.StringVar(&f.rate, "rate", ci.DefaultVerifyRate, "at most this many requests, retries included: "+contracts.RateGrammar)
	fl.StringArrayVar(&f.operations, "operation", nil, `call only this operation: an operationId or "METHOD /template" (repeatable)`)
	fl.DurationVar(&f.timeout, "timeout", ci.DefaultVerifyTimeout, "time for each operation, Retry-After waits included")
	fl.IntVar(&f.retries, "retries", ci.DefaultVerifyRetries, "retries of a 429 or 503 that carries Retry-After (0: none)")
	fl.Int64Var(&f.seed, "seed", 1, "seed of the generated requests: the same seed sends the same requests")
	fl.StringArrayVar(&f.auth, "auth", nil, "SCHEME=VAR: the credential of the contract's security scheme SCHEME is in the environment variable VAR (repeatable)")
	fl.StringVar(&f.junit, "junit", "", "also write the result as JUnit XML to this file")
	fl.StringVar(&f.json, "json", "", "also write the result as JSON to this file")
	_ = cmd.MarkFlagRequired("base-url")
	return cmd
}

func runContractVerify(cmd *cobra.Command, st *state, path string, f verifyFlags) error {
	o, err := f.options(st)
	if mocks.KindOf(path) == mocks.KindGraphQL {
		err = errors.Join(err, fmt.Errorf("%s: verify takes an OpenAPI contract, not a GraphQL schema", path))
	}
	if err != nil {
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("contract verify: %w", err))
	}
	ctx := cmd.Context()
	c, err := contracts.LoadOpenAPI(ctx, path)
	if err != nil {
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("contract verify: %w", err))
	}
	v, err := ci.Verify(ctx, c, o)
	if v == nil {
		return fmt.Errorf("contract verify: %w", err)
	}
	if werr := writeVerification(st, v, f); werr != nil {
		return ci.WithExit(ci.ExitSetup, fmt.Errorf("contract verify: %w", werr))
	}
	switch {
	case st.interrupted():
		return ci.WithExit(ci.ExitInterrupted, fmt.Errorf("contract verify: %w", err))
	case err != nil:
		return fmt.Errorf("contract verify: %w", err)
	case v.Err() != nil:
		return ci.WithExit(ci.ExitFail, errReported)
	}
	return nil
}

// options turns the flags into ci.VerifyOptions, naming every flag that is
// wrong in itself; ci.Verify judges them against the contract.
func (f verifyFlags) options(st *state) (ci.VerifyOptions, error) {
	var errs []error
	rate, err := contracts.ParseRate(f.rate)
	if err != nil {
		errs = append(errs, fmt.Errorf("--rate: %w", err))
	}
	if f.timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: want a positive duration", f.timeout))
	}
	if f.retries < 0 {
		errs = append(errs, fmt.Errorf("--retries %d: want 0 or more", f.retries))
	}
	retries := f.retries
	if retries == 0 {
		retries = -1 // none; ci's zero is its default
	}
	auth := map[string]string{}
	for _, a := range f.auth {
		scheme, env, ok := strings.Cut(a, "=")
		if !ok || scheme == "" || env == "" {
			errs = append(errs, fmt.Errorf("--auth %q: want SCHEME=VAR, a security scheme of the contract and an environment variable", a))
			continue
		}
		auth[scheme] = env
	}
	return ci.VerifyOptions{BaseURL: f.baseURL, AllowWrites: f.allowWrites, Rate: rate, Operations: f.operations,
		Timeout: f.timeout, Retries: retries, Seed: f.seed, Auth: auth, Getenv: st.getenv}, errors.Join(errs...)
}

// writeVerification prints the text report and writes the files asked for.
func writeVerification(st *state, v *ci.Verification, f verifyFlags) error {
	errs := []error{v.WriteText(st.stdout)}
	for _, out := range []struct {
		path  string
		write func(*os.File) error
	}{
		{f.json, func(w *os.File) error { return v.WriteJSON(w) }},
		{f.junit, func(w *os.File) error { return v.WriteJUnit(w) }},
	} {
		if out.path == "" {
			continue
		}
		w, err := os.Create(out.path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, out.write(w), w.Close())
	}
	return errors.Join(errs...)
}
