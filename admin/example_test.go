package admin_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/server"
)

// A remediation tool reads the server's versions and installs KB954960
// where it applies; on WSUS 3.0 RTM the server refuses with the reason.
func ExampleClient() {
	for _, scenario := range []string{"sp1-office2003", "rtm-office2003"} {
		world, _ := scenarios.BuiltinWorld(scenario)
		srv := &server.Server{World: world} // a free loopback port
		if err := srv.Open(); err != nil {
			fmt.Println(err)
			return
		}
		defer srv.Close()

		c, _ := admin.NewClient(srv.URL(), "")
		ctx := context.Background()
		before, _ := c.Info(ctx)
		res, err := c.InstallHotfix(ctx, "KB954960")
		var refused *admin.Error
		switch {
		case errors.As(err, &refused):
			fmt.Printf("%s %s: %s (%s)\n", before.Build, before.ClientDLLVersion, refused.Code, refused.Message)
		case err != nil:
			fmt.Println(err)
		default:
			fmt.Printf("%s %s: installed, Client.dll %s\n", before.Build, before.ClientDLLVersion, res.Server.ClientDLLVersion)
		}
	}
	// Output:
	// wsus30-sp1 3.1.6001.65: installed, Client.dll 3.1.6001.66
	// wsus30-rtm 3.0.6000.273: conflict (KB954960 cannot be installed on wsus30-rtm)
}
