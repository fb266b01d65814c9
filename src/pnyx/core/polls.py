"""Polls. (Being written.)"""
