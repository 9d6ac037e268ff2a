"""Region forms (administrators add townships and villages)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp


class RegionForm(FlaskForm):
    parent_code = StringField(_l("Parent region code"), [DataRequired(), Regexp(
        r"^\d{6}(\d{3})?$", message=_l("A county code has 6 digits, a township code 9."))])
    code = StringField(_l("Code"), [DataRequired(), Regexp(
        r"^\d{9}(\d{3})?$", message=_l("A township code has 9 digits, a village code 12."))])
    name_zh = StringField(_l("Chinese name"), [DataRequired(), Length(max=80)])
    name_en = StringField(_l("Latin name (optional; pinyin by default)"),
                          [Optional(), Length(max=120)])
    submit = SubmitField(_l("Add region"))


class RegionImportForm(FlaskForm):
    file = FileField(_l("CSV file (code, name_zh, parent_code, name_en)"),
                     [FileRequired(), FileAllowed(["csv"], _l("Upload a .csv file."))])
    submit = SubmitField(_l("Import"))
