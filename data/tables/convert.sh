#!/bin/sh
# Writes breast_cancer.csv and diabetes.csv (standard CSV, header row) from the files scikit-learn ships, kept
# unchanged in sklearn/. Why a conversion: scikit-learn's breast_cancer.csv opens with a line of its own
# ("569,30,malignant,benign": samples, features, class names) instead of a header, and codes the class as 0/1;
# the diabetes files are space-separated without a header, data and target apart. Run from this folder: sh convert.sh
set -eu
features="mean radius,mean texture,mean perimeter,mean area,mean smoothness,mean compactness,mean concavity,\
mean concave points,mean symmetry,mean fractal dimension,radius error,texture error,perimeter error,area error,\
smoothness error,compactness error,concavity error,concave points error,symmetry error,fractal dimension error,\
worst radius,worst texture,worst perimeter,worst area,worst smoothness,worst compactness,worst concavity,\
worst concave points,worst symmetry,worst fractal dimension"
# The class names of line 1 name the codes in order: code 0 is the first (malignant), code 1 the second (benign).
awk -F, -v header="$features,diagnosis" 'BEGIN { OFS = "," }
    NR == 1 { names[0] = $3; names[1] = $4; print header; next }
    { $NF = names[$NF]; print }' sklearn/breast_cancer.csv > breast_cancer.csv
gzip -dc sklearn/diabetes_data_raw.csv.gz > diabetes_data.tmp
gzip -dc sklearn/diabetes_target.csv.gz > diabetes_target.tmp
# The target is written as "1.510000000000000000e+02"; printf %g gives the same number as 151.
paste -d' ' diabetes_data.tmp diabetes_target.tmp |
    awk 'BEGIN { print "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,progression" }
         { printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%g\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' > diabetes.csv
rm diabetes_data.tmp diabetes_target.tmp
