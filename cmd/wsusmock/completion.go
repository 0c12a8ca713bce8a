package main

import (
	"fmt"
	"io"
	"strings"
)

// runCompletion is "wsusmock completion bash": a completion script for
// commands, admin commands and flags. The flags are read from the
// binary's own help when completing, so the script never goes stale.
func runCompletion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("completion", "completion bash", stderr)
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if pos[0] != "bash" {
		return usageError{fmt.Sprintf("completion: %q is not supported; only bash is", pos[0])}
	}
	var top, sub []string
	for _, d := range commandDocs {
		if name, ok := strings.CutPrefix(d.name, "admin "); ok {
			sub = append(sub, name)
		} else {
			top = append(top, d.name)
		}
	}
	_, err = fmt.Fprintf(stdout, bashCompletion, strings.Join(top, " "), strings.Join(sub, " "))
	return err
}

const bashCompletion = `# bash completion for wsusmock: source <(wsusmock completion bash)
_wsusmock() {
	local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]} words=
	local top="%s" admin="%s"
	if [[ $COMP_CWORD -eq 1 ]]; then
		words=$top
	elif [[ $cur == -* ]]; then
		local path=$cmd
		if [[ $cmd == admin && $COMP_CWORD -gt 2 && ${COMP_WORDS[2]} != -* ]]; then
			path="admin ${COMP_WORDS[2]}"
		fi
		words=$("${COMP_WORDS[0]}" help $path 2>/dev/null | sed -n 's/^  -\([a-z0-9-]*\).*/--\1/p')
	elif [[ $cmd == admin && $COMP_CWORD -eq 2 ]]; then
		words=$admin
	elif [[ $cmd == help && $COMP_CWORD -eq 2 ]]; then
		words=$top
	elif [[ $cmd == help && ${COMP_WORDS[2]} == admin && $COMP_CWORD -eq 3 ]]; then
		words=$admin
	else
		return 0
	fi
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _wsusmock wsusmock
`
