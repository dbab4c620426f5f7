package otter

import (
	"slices"
	"strings"
	"testing"
)

func TestMySQLTargets(t *testing.T) {
	cases := []struct {
		url  string
		want []string
		err  bool
	}{
		{"jdbc:mysql://db:3306/otter?useUnicode=true&characterEncoding=UTF-8", []string{"tcp://db:3306"}, false},
		{"jdbc:mysql://db/otter", []string{"tcp://db:3306"}, false},
		{"jdbc:mysql://127.0.0.1:3307", []string{"tcp://127.0.0.1:3307"}, false},
		{"jdbc:mysql://a:3306,b:3307/otter", []string{"tcp://a:3306", "tcp://b:3307"}, false},
		{"jdbc:mysql:replication://a,b:3310/otter", []string{"tcp://a:3306", "tcp://b:3310"}, false},
		{"jdbc:mysql:loadbalance://[::1]:3306/otter", []string{"tcp://[::1]:3306"}, false},
		{"jdbc:mysql://address=(host=db)(port=3310)(type=master),(host=r2)/otter", []string{"tcp://db:3310", "tcp://r2:3306"}, false},
		{"JDBC:MariaDB://user:pw@db:3306/otter", []string{"tcp://db:3306"}, false},
		{"jdbc:postgresql://db:5432/otter", nil, true},
		{"jdbc:mysql://", nil, true},
		{"jdbc:mysql://db:notaport/x", nil, true},
		{"jdbc:mysql://::1:3306/x?password=hunter2", nil, true},
	}
	for _, c := range cases {
		got, err := MySQLTargets(c.url)
		if c.err {
			if err == nil || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("MySQLTargets(%q) = %q, %v; want an error without the password", c.url, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("MySQLTargets(%q) = %q, %v; want %q", c.url, got, err, c.want)
		}
	}
}

func TestHostPortTargets(t *testing.T) {
	cases := []struct {
		list string
		want []string
		err  bool
	}{
		{"127.0.0.1:2181", []string{"tcp://127.0.0.1:2181"}, false},
		{"zk1:2181,zk2:2181;zk3:2181", []string{"tcp://zk1:2181", "tcp://zk2:2181", "tcp://zk3:2181"}, false},
		{"zk1:2181,zk2:2181/otter", []string{"tcp://zk1:2181", "tcp://zk2:2181"}, false},
		{" zk1:2181 ; ", []string{"tcp://zk1:2181"}, false},
		{"zk1", nil, true},
		{"", nil, true},
		{"zk:2181:3", nil, true},
	}
	for _, c := range cases {
		got, err := HostPortTargets(c.list)
		if (err != nil) != c.err || !slices.Equal(got, c.want) {
			t.Errorf("HostPortTargets(%q) = %q, %v; want %q, error %v", c.list, got, err, c.want, c.err)
		}
	}
}
