#!/bin/bash
# What Otter 4.2.18's bin/startup.sh does before it starts the manager, step
# by step (written from the description in the project's reference notes,
# not copied): the benchmark's baseline for "time until java is started".
# JAVA names the java binary. It backgrounds java with & and writes a pid
# file, as the original does, and then exits.
case "$(uname)" in
Linux) bin_abs_path=$(readlink -f "$(dirname "$0")") ;;
*) bin_abs_path=$(cd "$(dirname "$0")" && pwd) ;;
esac
base=${bin_abs_path}/..
otter_conf=$base/conf/otter.properties
logback_configurationFile=$base/conf/logback.xml
export LANG=en_US.UTF-8
export BASE=$base

if [ -f "$base/bin/otter.pid" ]; then
  echo "found otter.pid , Please run stop.sh first ,then startup.sh" >&2
  exit 1
fi
if [ ! -d "$base/logs" ]; then
  mkdir -p "$base/logs"
fi
if [ -z "$JAVA" ]; then
  JAVA=$(which java)
fi
if [ -z "$JAVA" ]; then
  echo "Cannot find a Java JDK." >&2
  exit 1
fi

str=$(file "$JAVA" 2>/dev/null | grep 64-bit)
if [ -n "$str" ]; then
  JAVA_OPTS="-server -Xms2048m -Xmx3072m -Xmn1024m -XX:SurvivorRatio=2 -XX:PermSize=96m -XX:MaxPermSize=256m -Xss256k -XX:-UseAdaptiveSizePolicy -XX:MaxTenuringThreshold=15 -XX:+DisableExplicitGC -XX:+UseConcMarkSweepGC -XX:+CMSParallelRemarkEnabled -XX:+UseCMSCompactAtFullCollection -XX:+UseFastAccessorMethods -XX:+UseCMSInitiatingOccupancyOnly -XX:+HeapDumpOnOutOfMemoryError"
else
  JAVA_OPTS="-server -Xms1024m -Xmx1024m -XX:NewSize=256m -XX:MaxNewSize=256m -XX:MaxPermSize=128m "
fi
JAVA_OPTS=" $JAVA_OPTS -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true -Dfile.encoding=UTF-8"
OTTER_OPTS="-DappName=otter-manager -Ddubbo.application.logger=slf4j -Dlogback.configurationFile=$logback_configurationFile -Dotter.conf=$otter_conf"

if [ -e "$otter_conf" ] && [ -e "$logback_configurationFile" ]; then
  for i in "$base"/lib/*; do
    CLASSPATH=$i:"$CLASSPATH"
  done
  CLASSPATH="$base:$base/conf:$CLASSPATH"
  cd "$bin_abs_path" || exit 1
  $JAVA $JAVA_OPTS $OTTER_OPTS -classpath .:$CLASSPATH com.alibaba.otter.manager.deployer.OtterManagerLauncher 1>>"$base/logs/manager.log" 2>&1 &
  echo $! >"$base/bin/otter.pid"
else
  echo "otter conf($otter_conf) OR log configration file($logback_configurationFile) is not exist,please create then first!"
fi
