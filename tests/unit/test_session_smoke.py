from pyspark.sql import functions as F


def test_delta_round_trip(spark, tmp_path):
    path = str(tmp_path / "t")
    spark.range(3).write.format("delta").save(path)
    assert spark.read.format("delta").load(path).agg(F.sum("id")).first()[0] == 3
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
