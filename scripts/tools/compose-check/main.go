// compose-check validates Compose files with compose-spec/compose-go, the loader
// behind `docker compose config`: the schema, interpolation from the environment
// and an --env-file, and the references between services, volumes and networks.
// It prints the resolved model as YAML on stdout, or the loader's error on stderr
// and exits 1.
//
//	compose-check [--env-file FILE] FILE...
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func main() {
	envFile := flag.String("env-file", "", "a .env file to interpolate from")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: compose-check [--env-file FILE] FILE...")
		os.Exit(2)
	}
	opts := []cli.ProjectOptionsFn{cli.WithOsEnv, cli.WithConsistency(true)}
	if *envFile != "" {
		opts = append(opts, cli.WithEnvFiles(*envFile), cli.WithDotEnv)
	}
	dir := filepath.Dir(flag.Arg(0))
	opts = append(opts, cli.WithWorkingDirectory(dir), cli.WithName("gantry"))
	project, err := load(flag.Args(), opts)
	if err == nil {
		var out []byte
		if out, err = project.MarshalYAML(); err == nil {
			_, err = os.Stdout.Write(out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(1)
	}
}

func load(files []string, opts []cli.ProjectOptionsFn) (*types.Project, error) {
	po, err := cli.NewProjectOptions(files, opts...)
	if err != nil {
		return nil, err
	}
	return po.LoadProject(context.Background())
}
