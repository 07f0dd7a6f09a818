package toolkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxAuthAdminBody bounds the JSON sent to the auth admin API.
const maxAuthAdminBody = 64 << 10

// AuthState is the answer of GET AuthPath: counts, never the secrets.
type AuthState struct {
	APIKeys       int    `json:"api_keys"`     // valid keys
	RevokedKeys   int    `json:"revoked_keys"` // keys revoked at run time
	BasicUsers    int    `json:"basic_users"`
	OAuth2        bool   `json:"oauth2"`
	TokenPath     string `json:"token_path,omitempty"`
	LiveTokens    int    `json:"live_tokens"`
	RefreshTokens int    `json:"refresh_tokens"`
}

// State counts the credentials a accepts now.
func (a *Auth) State() AuthState {
	st := AuthState{BasicUsers: len(a.basic), OAuth2: a.oauth != nil, TokenPath: a.TokenPath()}
	a.mu.Lock()
	for _, valid := range a.keys {
		if valid {
			st.APIKeys++
		} else {
			st.RevokedKeys++
		}
	}
	a.mu.Unlock()
	if a.tokens != nil {
		st.LiveTokens, st.RefreshTokens = a.tokens.counts(a.now())
	}
	return st
}

// AdminHandler serves the auth admin API, under AuthPath:
//
//	GET    /__firedrill/auth                  AuthState
//	POST   /__firedrill/auth/keys             {"key": "..."}: a new valid key
//	DELETE /__firedrill/auth/keys/{key}       revoke a key (404 if not valid)
//	POST   /__firedrill/auth/tokens/expire    {"token": "..."}: expire one access
//	                                          token; no body: expire them all
//
// Answers {"expired": n} to an expiry. Errors are problem+json naming the field.
func (a *Auth) AdminHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, _ := strings.CutPrefix(r.URL.EscapedPath(), AuthPath)
		rest = strings.TrimPrefix(rest, "/")
		switch {
		case rest == "":
			if AllowMethods(w, r, http.MethodGet) {
				WriteJSON(w, http.StatusOK, a.State())
			}
		case rest == "keys":
			if AllowMethods(w, r, http.MethodPost) {
				a.adminAddKey(w, r)
			}
		case strings.HasPrefix(rest, "keys/"):
			if AllowMethods(w, r, http.MethodDelete) {
				a.adminRevokeKey(w, strings.TrimPrefix(rest, "keys/"))
			}
		case rest == "tokens/expire":
			if AllowMethods(w, r, http.MethodPost) {
				a.adminExpire(w, r)
			}
		default:
			WriteProblem(w, http.StatusNotFound, Problem{Title: "No such admin endpoint", Detail: r.URL.Path})
		}
	})
}

// readAdminJSON decodes a strict JSON object into v; an empty body leaves v
// as it is when empty is allowed.
func readAdminJSON(r *http.Request, v any, emptyOK bool) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxAuthAdminBody+1))
	if err != nil {
		return fmt.Errorf("body unreadable: %w", err)
	}
	if len(data) > maxAuthAdminBody {
		return fmt.Errorf("body larger than %d bytes", maxAuthAdminBody)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if emptyOK {
			return nil
		}
		return errors.New("a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", jsonErrorAt(data, err), err)
	}
	return nil
}

func (a *Auth) adminAddKey(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Key string `json:"key"`
	}
	if err := readAdminJSON(r, &in, false); err != nil {
		WriteProblem(w, http.StatusBadRequest, Problem{Title: "Bad key", Violations: []Violation{{In: "body", Message: err.Error()}}})
		return
	}
	if err := a.AddKey(in.Key); err != nil {
		WriteProblem(w, http.StatusBadRequest, Problem{Title: "Bad key", Violations: []Violation{{In: "body", Name: "key", Message: "required, non-empty"}}})
		return
	}
	w.WriteHeader(http.StatusCreated)
}

func (a *Auth) adminRevokeKey(w http.ResponseWriter, escaped string) {
	key, err := url.PathUnescape(escaped)
	if err != nil || key == "" {
		WriteProblem(w, http.StatusBadRequest, Problem{Title: "Bad key", Violations: []Violation{{In: "path", Name: "key", Message: "not a valid escaped key"}}})
		return
	}
	if !a.RevokeKey(key) {
		WriteProblem(w, http.StatusNotFound, Problem{Title: "No such key", Detail: "the key is not a valid key of this mock"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *Auth) adminExpire(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if err := readAdminJSON(r, &in, true); err != nil {
		WriteProblem(w, http.StatusBadRequest, Problem{Title: "Bad expiry", Violations: []Violation{{In: "body", Message: err.Error()}}})
		return
	}
	if a.oauth == nil {
		WriteProblem(w, http.StatusNotFound, Problem{Title: "No tokens", Detail: "this mock has no OAuth2 server (AuthOptions.OAuth2, --oauth-client)"})
		return
	}
	if in.Token == "" {
		WriteJSON(w, http.StatusOK, map[string]int{"expired": a.ExpireTokens()})
		return
	}
	if !a.ExpireToken(in.Token) {
		WriteProblem(w, http.StatusNotFound, Problem{Title: "No such token", Detail: "the token is not a live access token of this mock"})
		return
	}
	WriteJSON(w, http.StatusOK, map[string]int{"expired": 1})
}
