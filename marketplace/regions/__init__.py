"""Administrative regions of Hunan: province, prefectures, counties, townships and villages."""
