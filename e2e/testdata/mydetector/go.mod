// A detection tool's own module, as a user would write it: the kit comes
// from this repository through the replace line.
module example.com/mydetector

go 1.26.8

require (
	github.com/onsi/gomega v1.44.0
	github.com/wsusmock/wsusmock v0.0.0
)

require (
	github.com/beevik/etree v1.8.1 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/orisano/gosax v1.1.4 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/net v0.59.0 // indirect
	golang.org/x/sync v0.23.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)

replace github.com/wsusmock/wsusmock => ../../..
