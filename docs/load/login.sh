#!/bin/bash
# login.sh BASE KIND EMAIL PASSWORD -> prints "Cookie: name=value" of a signed-in session
BASE=$1; KIND=$2; EMAIL=$3; PW=$4
JAR=$(mktemp)
if [ "$KIND" = portal ]; then LOGIN=$BASE/portal/login; else LOGIN=$BASE/login; fi
PAGE=$(curl -s -c $JAR -b $JAR $LOGIN)
TOKEN=$(echo "$PAGE" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
curl -s -o /dev/null -c $JAR -b $JAR -H "Origin: $BASE" --data-urlencode "_csrf=$TOKEN" --data-urlencode "email=$EMAIL" --data-urlencode "password=$PW" $LOGIN
awk '$6 ~ /portico/ && $6 !~ /flash/ {print "Cookie: " $6 "=" $7}' $JAR | tail -1
rm -f $JAR
