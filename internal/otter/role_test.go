package otter

import "testing"

func TestRoleFacts(t *testing.T) {
	for _, c := range []struct {
		role                           Role
		mainClass, mainLog, readyCheck string
		deps                           []string
	}{
		{Manager, "com.alibaba.otter.manager.deployer.OtterManagerLauncher", "/h/logs/manager.log",
			"http://127.0.0.1:18080/monitor/ok.htm", []string{KeyDBURL, KeyZooKeeper}},
		{Node, "com.alibaba.otter.node.deployer.OtterLauncher", "/h/logs/node/node.log",
			"log:/h/logs/node/node.log:the otter server is running now", []string{KeyManagerAddr}},
	} {
		if got := c.role.MainClass(); got != c.mainClass {
			t.Errorf("%s.MainClass() = %q, want %q", c.role, got, c.mainClass)
		}
		if got := c.role.MainLog("/h"); got != c.mainLog {
			t.Errorf("%s.MainLog = %q, want %q", c.role, got, c.mainLog)
		}
		if got := c.role.DefaultReadyCheck("/h", "18080"); got != c.readyCheck {
			t.Errorf("%s.DefaultReadyCheck = %q, want %q", c.role, got, c.readyCheck)
		}
		if got := c.role.DefaultHome(); got != "/home/admin/"+string(c.role) {
			t.Errorf("%s.DefaultHome = %q", c.role, got)
		}
		var keys []string
		for _, d := range c.role.Dependencies() {
			keys = append(keys, d.Key)
		}
		if len(keys) != len(c.deps) || (len(keys) > 0 && keys[0] != c.deps[0]) {
			t.Errorf("%s.Dependencies keys = %q, want %q", c.role, keys, c.deps)
		}
	}
	if got := Manager.DefaultReadyCheck("/h", ""); got != "http://127.0.0.1:8080/monitor/ok.htm" {
		t.Errorf("manager ready check without otter.port = %q", got)
	}
	for _, s := range []string{"manager", "node"} {
		if r, ok := ParseRole(s); !ok || string(r) != s {
			t.Errorf("ParseRole(%q) = %q, %v", s, r, ok)
		}
	}
	if _, ok := ParseRole("run"); ok {
		t.Error("ParseRole(run) accepted")
	}
}
