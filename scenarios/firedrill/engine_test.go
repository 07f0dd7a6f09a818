package firedrill

import (
	"os"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// TestRyukImage: RyukImage is the image testcontainers-go starts.
func TestRyukImage(t *testing.T) {
	//lint:ignore SA1019 the deprecated name is the only one exported
	if RyukImage != testcontainers.ReaperDefaultImage {
		t.Fatalf("RyukImage %s, testcontainers-go starts %s", RyukImage, testcontainers.ReaperDefaultImage) //lint:ignore SA1019 as above
	}
}

// setenv sets or (value nil) unsets an environment variable for the test.
func setenv(t *testing.T, key string, value *string) {
	old, had := os.LookupEnv(key)
	t.Cleanup(func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	})
	if value == nil {
		os.Unsetenv(key)
	} else {
		os.Setenv(key, *value)
	}
}

func ptr(s string) *string { return &s }

// TestReaperPolicy: Ryuk is off when the environment says so or its image
// is not on the engine (which sets the environment), on when the
// environment says so or the image is there. Not parallel: it changes the
// environment.
func TestReaperPolicy(t *testing.T) {
	img := testImage(t)
	ctx := testCtx(t, time.Minute)
	for v, want := range map[string]bool{"true": false, "1": false, "false": true} {
		setenv(t, "TESTCONTAINERS_RYUK_DISABLED", ptr(v))
		if got := reaperPolicy(ctx); got != want {
			t.Errorf("TESTCONTAINERS_RYUK_DISABLED=%s: Ryuk on %v, want %v", v, got, want)
		}
	}
	// A prefix of our own names the image, so that no other program on
	// this engine ever finds a Ryuk image that is not one.
	prefix := "firedrill-test-ryuk-" + time.Now().Format("150405")
	setenv(t, "TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX", ptr(prefix))
	setenv(t, "TESTCONTAINERS_RYUK_DISABLED", nil)
	if reaperPolicy(ctx) {
		t.Error("Ryuk on without its image")
	}
	if v := os.Getenv("TESTCONTAINERS_RYUK_DISABLED"); v != "true" {
		t.Errorf("TESTCONTAINERS_RYUK_DISABLED=%q after the image was found missing, want true", v)
	}
	c, err := engine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ryuk := prefix + "/" + RyukImage
	if _, err := c.ImageTag(ctx, client.ImageTagOptions{Source: img, Target: ryuk}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.ImageRemove(ctx, ryuk, client.ImageRemoveOptions{}) })
	setenv(t, "TESTCONTAINERS_RYUK_DISABLED", nil)
	if !reaperPolicy(ctx) {
		t.Error("Ryuk off though its image is on the engine")
	}
	if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); set {
		t.Error("the environment was changed though Ryuk stays on")
	}
}
