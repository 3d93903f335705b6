#!/bin/bash
# One night on the edge node, in the schedule's order (installed as /opt/ipr-guard/night.sh; see
# ipr-guard.cron): the model lifecycle for the day before yesterday (the train job when the champion is
# due, then the promotion gate), then the nightly for yesterday, which only scores, and the store networks of the day it published. The nightly runs
# whatever the lifecycle's outcome: a failed training leaves the champion as it was, and that one scores.
set -u
D=$(TZ=Asia/Shanghai date -d yesterday +%F)
P=$(TZ=Asia/Shanghai date -d "2 days ago" +%F)
submit() {
  "$SPARK_HOME"/bin/spark-submit --master spark://spark-master.internal:7077 --deploy-mode client \
    --jars "$(cat jars.txt)" --py-files ipr_guard.zip \
    --conf spark.executor.memory=8g --conf spark.executor.cores=4 "$@"
}
{ submit jobs/train.py --env cluster --if-due --date "$P" && submit jobs/promote.py --env cluster --date "$P"; } \
  >> /var/log/ipr-guard/model.log 2>&1
submit jobs/nightly.py --env cluster --date "$D" >> /var/log/ipr-guard/nightly.log 2>&1 \
  && submit jobs/networks.py --env cluster --date "$D" >> /var/log/ipr-guard/networks.log 2>&1
