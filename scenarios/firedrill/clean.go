package firedrill

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

// Cleaned is what Clean removed, by name (a container's or a network's
// name, an image's tag or id).
type Cleaned struct {
	Containers []string
	Networks   []string
	Images     []string
}

// Total counts what was removed.
func (c Cleaned) Total() int { return len(c.Containers) + len(c.Networks) + len(c.Images) }

func (c Cleaned) String() string {
	return fmt.Sprintf("%d container(s), %d network(s), %d image(s)", len(c.Containers), len(c.Networks), len(c.Images))
}

// Clean removes every container (forced, running or not) and network
// labelled LabelRun=runID, and with images every image so labelled; runID
// "" stands for every firedrill run, and then images also removes the
// images BuildImage built (LabelKind=image). It returns what it removed,
// and an error listing what it could not remove (ErrNoEngine when no
// engine answers).
func Clean(ctx context.Context, runID string, images bool) (Cleaned, error) {
	var out Cleaned
	c, err := engine(ctx)
	if err != nil {
		return out, err
	}
	defer c.Close()
	filter := func() client.Filters {
		if runID == "" {
			return make(client.Filters).Add("label", LabelRun)
		}
		return make(client.Filters).Add("label", LabelRun+"="+runID)
	}
	var errs []error
	cs, err := c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter()})
	if err != nil {
		return out, fmt.Errorf("firedrill: clean: list containers: %w", err)
	}
	for _, ct := range cs.Items {
		name := ct.ID[:12]
		if len(ct.Names) > 0 {
			name = strings.TrimPrefix(ct.Names[0], "/")
		}
		if _, err := c.ContainerRemove(ctx, ct.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			errs = append(errs, fmt.Errorf("container %s: %w", name, err))
			continue
		}
		out.Containers = append(out.Containers, name)
	}
	ns, err := c.NetworkList(ctx, client.NetworkListOptions{Filters: filter()})
	if err != nil {
		return out, fmt.Errorf("firedrill: clean: list networks: %w", err)
	}
	for _, n := range ns.Items {
		if _, err := c.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("network %s: %w", n.Name, err))
			continue
		}
		out.Networks = append(out.Networks, n.Name)
	}
	if images {
		filters := []client.Filters{filter()}
		if runID == "" {
			filters = append(filters, make(client.Filters).Add("label", LabelKind+"="+KindImage))
		}
		for _, f := range filters {
			is, err := c.ImageList(ctx, client.ImageListOptions{Filters: f})
			if err != nil {
				return out, fmt.Errorf("firedrill: clean: list images: %w", err)
			}
			for _, im := range is.Items {
				name := imageName(im)
				if _, err := c.ImageRemove(ctx, im.ID, client.ImageRemoveOptions{Force: true}); err != nil {
					errs = append(errs, fmt.Errorf("image %s: %w", name, err))
					continue
				}
				out.Images = append(out.Images, name)
			}
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("firedrill: clean: %w", errors.Join(errs...))
	}
	return out, nil
}

// imageName is an image's first tag, else its short id.
func imageName(im image.Summary) string {
	if len(im.RepoTags) > 0 && im.RepoTags[0] != "<none>:<none>" {
		return im.RepoTags[0]
	}
	return strings.TrimPrefix(im.ID, "sha256:")[:12]
}
